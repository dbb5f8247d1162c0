// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tracers/bpf_vma.h"
#include "vma_iter.skel.h"

struct vma_iter {
	struct vma_iter_bpf *skel;
	struct bpf_link *link;
};

static int cmp_start(const void *a, const void *b)
{
	const struct vma_rec *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

void vma_iter_close(struct vma_iter *it)
{
	if (!it)
		return;
	bpf_link__destroy(it->link);
	vma_iter_bpf__destroy(it->skel);
	free(it);
}

int vma_iter_open(struct vma_iter **out, pid_t pid, char *why, size_t whylen)
{
	union bpf_iter_link_info linfo = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &linfo,
		    .link_info_len = sizeof(linfo));
	struct vma_iter *it;
	int err;

	*out = NULL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->skel = vma_iter_bpf__open();
	if (!it->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the VMA iterator object: %s",
			 strerror(-err));
		goto fail;
	}
	it->skel->rodata->target_tgid = pid;
	err = vma_iter_bpf__load(it->skel);
	if (err) {
		snprintf(why, whylen, "cannot load the iter/task_vma program: %s%s",
			 strerror(-err), err == -EPERM ? " (needs CAP_BPF and "
			 "CAP_PERFMON, or root)" : "");
		goto fail;
	}
	if (!pid) {		/* loaded only: read with vma_iter_read_pid */
		*out = it;
		return 0;
	}
	linfo.task.pid = pid;
	it->link = bpf_program__attach_iter(it->skel->progs.dump_vma, &opts);
	if (!it->link) {
		err = -errno;
		snprintf(why, whylen, "cannot attach the task_vma iterator: %s",
			 strerror(-err));
		goto fail;
	}
	*out = it;
	return 0;
fail:
	vma_iter_close(it);
	return err;
}

static int read_link(struct bpf_link *link, struct vma_rec **out, size_t *n,
		     char *why, size_t whylen)
{
	size_t cap = 1024, len = 0, i, k;
	char *buf = NULL, *nbuf;
	int fd, err;
	ssize_t r;

	*out = NULL;
	*n = 0;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot create the iterator: %s", strerror(-err));
		return err;
	}
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (cap - len < 8192) {
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				err = -ENOMEM;
				goto out;
			}
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			snprintf(why, whylen, "reading the iterator failed: %s",
				 strerror(-err));
			goto out;
		}
		if (r == 0)
			break;
		len += r;
	}
	if (len % sizeof(struct vma_rec)) {
		err = -EPROTO;
		snprintf(why, whylen, "iterator returned a partial record");
		goto out;
	}
	*n = len / sizeof(struct vma_rec);
	*out = (struct vma_rec *)buf;
	buf = NULL;
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_start);
	/* Threads that do not share the leader's files table are visited
	 * too (same mm): drop the duplicates. */
	for (i = 0, k = 0; i < *n; i++)
		if (!k || (*out)[k - 1].start != (*out)[i].start)
			(*out)[k++] = (*out)[i];
	*n = k;
	err = 0;
out:
	close(fd);
	free(buf);
	return err;
}

int vma_iter_read(struct vma_iter *it, struct vma_rec **out, size_t *n,
		  char *why, size_t whylen)
{
	return read_link(it->link, out, n, why, whylen);
}

int vma_iter_fd(struct vma_iter *it)
{
	int fd = bpf_iter_create(bpf_link__fd(it->link));

	return fd < 0 ? -errno : fd;
}

int vma_iter_read_pid(struct vma_iter *it, pid_t pid, struct vma_rec **out,
		      size_t *n, char *why, size_t whylen)
{
	union bpf_iter_link_info linfo = { .task.pid = (__u32)pid };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &linfo,
		    .link_info_len = sizeof(linfo));
	struct bpf_link *link;
	int err;

	*out = NULL;
	*n = 0;
	link = bpf_program__attach_iter(it->skel->progs.dump_vma, &opts);
	if (!link) {
		err = -errno;
		snprintf(why, whylen, "cannot attach the task_vma iterator to %d: %s",
			 (int)pid, strerror(-err));
		return err;
	}
	err = read_link(link, out, n, why, whylen);
	bpf_link__destroy(link);
	return err;
}

int vma_iter_snapshot(pid_t pid, struct vma_rec **out, size_t *n,
		      char *why, size_t whylen)
{
	struct vma_iter *it;
	int err;

	*out = NULL;
	*n = 0;
	err = vma_iter_open(&it, pid, why, whylen);
	if (err)
		return err;
	err = vma_iter_read(it, out, n, why, whylen);
	vma_iter_close(it);
	return err;
}
