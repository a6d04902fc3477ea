/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scratch directory for file-format tests: made under $TMPDIR (or /tmp)
 * by the cmocka group setup, removed with everything in it by teardown.
 */
#ifndef ABT_TEST_TMPDIR_H
#define ABT_TEST_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

/* buf = tmpdir/name */
static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* tmpdir = a new directory named prefix.XXXXXX; 0 or -1 */
static int tmpdir_make(const char *prefix)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/%s.XXXXXX", t && *t ? t : "/tmp",
		 prefix);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1024];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p))
			rm_tree(p);	/* a directory */
	}
	closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	(void)state;
	rm_tree(tmpdir);
	return 0;
}

#endif
