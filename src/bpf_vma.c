// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_vma.h"
#include "vma_iter.skel.h"

static int cmp_start(const void *a, const void *b)
{
	const struct vma_rec *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int vma_iter_snapshot(pid_t pid, struct vma_rec **out, size_t *n,
		      char *why, size_t whylen)
{
	union bpf_iter_link_info linfo = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &linfo,
		    .link_info_len = sizeof(linfo));
	struct vma_iter_bpf *skel;
	struct bpf_link *link = NULL;
	size_t cap = 1024, len = 0, i, k;
	char *buf = NULL, *nbuf;
	int fd = -1, err;
	ssize_t r;

	*out = NULL;
	*n = 0;
	skel = vma_iter_bpf__open();
	if (!skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the VMA iterator object: %s",
			 strerror(-err));
		return err;
	}
	skel->rodata->target_tgid = pid;
	err = vma_iter_bpf__load(skel);
	if (err) {
		snprintf(why, whylen, "cannot load the iter/task_vma program: %s%s",
			 strerror(-err), err == -EPERM ? " (needs CAP_BPF and "
			 "CAP_PERFMON, or root)" : "");
		goto out;
	}
	linfo.task.pid = pid;
	link = bpf_program__attach_iter(skel->progs.dump_vma, &opts);
	if (!link) {
		err = -errno;
		snprintf(why, whylen, "cannot attach the task_vma iterator: %s",
			 strerror(-err));
		goto out;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot create the iterator: %s", strerror(-err));
		goto out;
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
	if (fd >= 0)
		close(fd);
	free(buf);
	bpf_link__destroy(link);
	vma_iter_bpf__destroy(skel);
	return err;
}
