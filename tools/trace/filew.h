/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What abt's file writers (golden traces, profiles) share: error text into
 * a caller's buffer, the ".tmp" name, a deflate pass into a FILE, and the
 * commit of the finished file (fsync, rename, directory fsync). The including file
 * asks for POSIX.1-2008 (strndup) before its first #include.
 */
#ifndef ABT_FILEW_H
#define ABT_FILEW_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static inline void vfmt(char *err, size_t errlen, const char *f, va_list ap)
{
	if (err && errlen > 0)
		vsnprintf(err, errlen, f, ap);
}

static inline void fmt(char *err, size_t errlen, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
static inline void fmt(char *err, size_t errlen, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vfmt(err, errlen, f, ap);
	va_end(ap);
}

/* a followed by b, malloc'ed; NULL when out of memory */
static inline char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

/*
 * Deflate n bytes at p (fin: and end the stream) into f, through out.
 * 0; -1: a write failed (errno says why); -2: deflate failed.
 */
static inline int deflate_to(FILE *f, z_stream *zs, unsigned char *out,
			     size_t outsz, const void *p, size_t n, int fin)
{
	size_t k;
	int ret;

	zs->next_in = (z_const Bytef *)p;
	zs->avail_in = (uInt)n;
	do {
		zs->next_out = out;
		zs->avail_out = (uInt)outsz;
		ret = deflate(zs, fin ? Z_FINISH : Z_NO_FLUSH);
		if (ret == Z_STREAM_ERROR)
			return -2;
		k = outsz - zs->avail_out;
		if (k && fwrite(out, 1, k, f) != k)
			return -1;
	} while (zs->avail_out == 0 || (fin && ret != Z_STREAM_END));
	return 0;
}

/* fsync the directory holding path, so a rename into it is durable */
static inline void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);	/* best effort: some filesystems refuse */
		close(fd);
	}
	free(dir);
}

/*
 * Make the finished file tmp (open as *f) the file path: flush, fsync,
 * close (*f becomes NULL), rename, fsync the directory. 0, or -1 with the
 * reason in err.
 */
static inline int commit_file(FILE **f, const char *tmp, const char *path,
			      char *err, size_t errlen)
{
	int ret;

	if (fflush(*f) || fsync(fileno(*f))) {
		fmt(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	ret = fclose(*f);
	*f = NULL;
	if (ret) {
		fmt(err, errlen, "%s: close: %s", tmp, strerror(errno));
		return -1;
	}
	if (rename(tmp, path)) {
		fmt(err, errlen, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		return -1;
	}
	sync_dir(path);
	return 0;
}

#endif /* ABT_FILEW_H */
