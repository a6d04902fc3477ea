// SPDX-License-Identifier: GPL-2.0
/*
 * The devices behind MMIO exits: the polled 16550 (the guest console and
 * --until), the QorIQ GPIO block (pin 0 powers off), and the ePAPR spin
 * table that releases secondary vcpus.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "abt-vmm.h"

static void console_byte(struct vmm *v, uint8_t c)
{
	v->st.console_bytes++;
	if (!v->opt.quiet) {
		putchar(c);
		console_mid_line = c != '\n';
	}
	if (!v->until_len)
		return;
	if (v->tail_len == v->until_len) {
		memmove(v->tail, v->tail + 1, v->tail_len - 1);
		v->tail_len--;
	}
	v->tail[v->tail_len++] = (char)c;
}

static bool until_seen(const struct vmm *v)
{
	return v->until_len && v->tail_len == v->until_len &&
	       !memcmp(v->tail, v->opt.until, v->until_len);
}

static void uart_access(struct vmm *v, unsigned int off, uint8_t *data,
			unsigned int len, bool is_write)
{
	if (is_write) {
		v->st.uart_write++;
		if (off == UART_THR && !(v->uart_lcr & UART_LCR_DLAB))
			console_byte(v, data[0]);
		else if (off == UART_LCR)
			v->uart_lcr = data[0];
		return;
	}
	v->st.uart_read++;
	memset(data, 0, len);
	if (off == UART_LSR)
		data[0] = UART_LSR_THRE_TEMT;
	else if (off == UART_LCR)
		data[0] = v->uart_lcr;
}

/* Returns true when the guest drives the power-off pin high. */
static bool gpio_access(struct vmm *v, unsigned int off, uint8_t *data,
			unsigned int len, bool is_write)
{
	unsigned int reg = off / 4;
	uint32_t before, val;

	if (len != 4 || (off & 3) || reg >= GPIO_NREGS) {
		if (!is_write)
			memset(data, 0, len);
		return false;
	}
	if (!is_write) {
		v->st.gpio_read++;
		put_be32(data, v->gpio[reg]);
		return false;
	}
	v->st.gpio_write++;
	val = be32(data);
	before = v->gpio[GPIO_DIR / 4] & v->gpio[GPIO_DAT / 4];
	if (off == GPIO_IER)
		v->gpio[reg] &= ~val;	/* write 1 to clear */
	else
		v->gpio[reg] = val;
	return !(before & GPIO_POWEROFF_PIN) &&
	       (v->gpio[GPIO_DIR / 4] & v->gpio[GPIO_DAT / 4] &
		GPIO_POWEROFF_PIN);
}

/*
 * Spin-table entry of cpu n (32-bit accesses): a write of addr_l != 1
 * releases that cpu at addr (ePAPR 5.5.2), with r3 from the entry.
 */
static void spin_access(struct vmm *v, unsigned int off, uint8_t *data,
			unsigned int len, bool w)
{
	unsigned int n = off / SPIN_ENTRY, word = (off % SPIN_ENTRY) / 4;
	struct secondary *c = &v->sec[n];

	if (n == 0 || len != 4 || off % 4) {
		if (!w)
			memset(data, 0, len);
		return;
	}
	if (!w) {
		put_be32(data, c->spin[word]);
		return;
	}
	c->spin[word] = be32(data);
	if (word == 1 && c->spin[1] != 1 && !c->kicked) {
		c->kicked = true;
		info(v, "cpu %u released at 0x%08" PRIx32 "%08" PRIx32
		     " (r3 0x%" PRIx32 ")", n, c->spin[0], c->spin[1],
		     c->spin[3]);
		pthread_cond_broadcast(&v->kick);
	}
}

/* Called with v->lock held, from any vcpu thread. */
enum mmio_result handle_mmio(struct vmm *v, struct kvm_run *run)
{
	uint64_t a = run->mmio.phys_addr;
	uint8_t *data = run->mmio.data;
	unsigned int len = run->mmio.len;
	bool w = run->mmio.is_write;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (v->opt.nvcpus > 1 && a >= SPIN_BASE &&
	    a - SPIN_BASE < (uint64_t)SPIN_ENTRY * v->opt.nvcpus) {
		spin_access(v, (unsigned int)(a - SPIN_BASE), data, len, w);
		return MMIO_DONE;
	}
	if (a >= UART_BASE && a - UART_BASE < UART_SIZE) {
		uart_access(v, (unsigned int)(a - UART_BASE), data, len, w);
		return until_seen(v) ? MMIO_UNTIL : MMIO_DONE;
	}
	if (a >= GPIO_BASE && a - GPIO_BASE < GPIO_SIZE)
		return gpio_access(v, (unsigned int)(a - GPIO_BASE), data,
				   len, w) ? MMIO_POWEROFF : MMIO_DONE;

	v->st.mmio_unhandled++;
	if (v->st.mmio_unhandled <= MAX_UNHANDLED_REPORTS) {
		uint64_t val = 0;

		for (unsigned int i = 0; i < len; i++)
			val = val << 8 | data[i];
		if (w)
			err("unhandled MMIO write at 0x%09" PRIx64 ", %u "
			    "bytes, value 0x%" PRIx64 " (ignored)", a, len,
			    val);
		else
			err("unhandled MMIO read at 0x%09" PRIx64 ", %u bytes "
			    "(reads 0)", a, len);
		if (v->st.mmio_unhandled == MAX_UNHANDLED_REPORTS)
			err("further unhandled MMIO is only counted");
	}
	if (!w)
		memset(data, 0, len);
	return MMIO_DONE;
}
