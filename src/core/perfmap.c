/* SPDX-License-Identifier: MIT */
/*
 * perf names patch code.  A patch lives in anonymous memory, where perf
 * finds no file to read symbols from; for such memory (a JIT's code, as
 * the kernel's perf tool documents in jit-interface.txt) perf reads
 * /tmp/perf-<pid>.map, a line per function: "START SIZE NAME", START and
 * SIZE in hex.  uklp appends a line for every function of a patch once
 * the patch is loaded, and takes them out when its code is unmapped, so
 * `perf report` and `perf top` show "packet__read [uklp:fix]" instead of
 * an address in [anon].
 *
 * The file is the one perf looks for: in the process's mount namespace
 * (/proc/PID/root/tmp) and named by its pid there (the last NSpid).
 * /tmp is writable by everyone: the file is opened without following
 * links and used only if it is a regular file with one link, owned by
 * root or by the process's owner; a file uklp creates is root's (perf,
 * run as any user, reads a map owned by root or by itself).
 *
 * None of this may fail a load or an unload: the names are a help for
 * people and tools, the patch works without them.  What goes wrong is
 * said under -v.  A process that writes its own map (a JIT) while uklp
 * takes a patch's lines out may lose the lines it wrote at that moment.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "core/core.h"
#include "core/perfmap.h"
#include "loader/loader.h"

#define TAG_FMT " [uklp:%s]\n"

/* The pid the process has in its own pid namespace. */
static pid_t ns_pid(pid_t pid)
{
	char fn[64], *line = NULL;
	size_t cap = 0;
	pid_t ns = pid;
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%d/status", (int)pid);
	f = fopen(fn, "re");
	if (!f)
		return pid;
	while (getline(&line, &cap, f) > 0) {
		char *p = line + 6, *end;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (;;) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			ns = (pid_t)v;
			p = end;
		}
		break;
	}
	free(line);
	fclose(f);
	return ns;
}

static void map_dir(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/root/tmp", (int)pid);
}

static void map_path(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/root/tmp/perf-%d.map", (int)pid, (int)ns_pid(pid));
}

/* The map, opened with flags, if it is one uklp may write; -errno, and
 * -EPERM for a file that is not what it must be. */
static int open_map(pid_t pid, const char *path, int flags)
{
	char proc[32];
	struct stat st, ps;
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	if (fstat(fd, &st) || stat(proc, &ps) || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != 0 && st.st_uid != ps.st_uid)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int uklp_perfmap_add(struct uklp_session *s, const char *patch, const struct uklp_image *img)
{
	const struct uelf *e = img->elf;
	char path[128], *text = NULL;
	size_t len = 0, n = 0;
	FILE *m = open_memstream(&text, &len);
	int fd, ret = 0;

	if (!m)
		return -ENOMEM;
	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *y = &e->symbols[i];
		uint64_t at;

		if (!y->sym.st_size || !uklp_image_func_addr(img, y, &at))
			continue;
		fprintf(m, "%llx %llx %s" TAG_FMT, (unsigned long long)at,
			(unsigned long long)y->sym.st_size, y->name, patch);
		n++;
	}
	if (fclose(m)) {
		free(text);
		return -ENOMEM;
	}
	map_path(s->opts->pid, path, sizeof(path));
	fd = n ? open_map(s->opts->pid, path, O_WRONLY | O_APPEND | O_CREAT) : 0;
	if (fd < 0) {
		ret = fd;
		pr_debug("process %d: %s: %s: perf will not name the functions of patch '%s'",
			 s->opts->pid, path, ret == -EPERM ?
			 "not a regular file of root or of the process's owner" : strerror(-ret),
			 patch);
	} else if (n) {
		if (write(fd, text, len) != (ssize_t)len) {
			ret = -errno;
			pr_debug("process %d: cannot write %s: %s", s->opts->pid, path,
				 strerror(-ret));
		} else {
			pr_debug("process %d: %zu function(s) of patch '%s' named for perf in %s",
				 s->opts->pid, n, patch, path);
		}
		close(fd);
	}
	free(text);
	return ret;
}

int uklp_perfmap_remove(struct uklp_session *s, const char *patch)
{
	char path[128], dir[96], tmp[160], tag[UKLP_RT_NAME_MAX + 16], *line = NULL;
	size_t cap = 0, taglen, kept = 0, dropped = 0;
	struct stat st;
	FILE *in, *out;
	ssize_t n;
	int fd, tfd, ret = 0;

	map_path(s->opts->pid, path, sizeof(path));
	fd = open_map(s->opts->pid, path, O_RDONLY);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	in = fdopen(fd, "r");
	if (!in || fstat(fd, &st)) {
		close(fd);
		return -EIO;
	}
	map_dir(s->opts->pid, dir, sizeof(dir));
	snprintf(tmp, sizeof(tmp), "%s/.uklp-perfmap.XXXXXX", dir);
	tfd = mkstemp(tmp);
	out = tfd >= 0 ? fdopen(tfd, "w") : NULL;
	if (!out) {
		ret = -errno;
		if (tfd >= 0) {
			close(tfd);
			unlink(tmp);
		}
		fclose(in);
		return ret;
	}
	snprintf(tag, sizeof(tag), TAG_FMT, patch);
	taglen = strlen(tag);
	while ((n = getline(&line, &cap, in)) > 0) {
		if ((size_t)n >= taglen && !strcmp(line + n - taglen, tag)) {
			dropped++;
			continue;
		}
		kept++;
		fputs(line, out);
	}
	free(line);
	fclose(in);
	/* the map as it was, for whoever else writes it */
	if (fchown(tfd, st.st_uid, st.st_gid) || fchmod(tfd, st.st_mode & 0777))
		ret = -errno;
	if (fclose(out) && !ret)
		ret = -errno;
	if (!ret && dropped)
		ret = kept ? (rename(tmp, path) ? -errno : 0) : (unlink(path) ? -errno : 0);
	unlink(tmp);
	if (ret)
		pr_debug("process %d: %s: %s: the lines of patch '%s' stay", s->opts->pid, path,
			 strerror(-ret), patch);
	else if (dropped)
		pr_debug("process %d: patch '%s' taken out of %s", s->opts->pid, patch, path);
	return ret;
}
