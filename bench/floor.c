// SPDX-License-Identifier: GPL-2.0
/*
 * floor OBJ faults|calls CMD [ARGS...]: run CMD with bench/floor.bpf.c's
 * counting programs attached (faults: page_fault_user; calls: sys_enter
 * and sys_exit), then say on stderr how many events they counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static int wanted(const char *what, const char *prog)
{
	if (!strcmp(what, "faults"))
		return !strcmp(prog, "fault");
	return !strcmp(prog, "enter") || !strcmp(prog, "leave");
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *map;
	unsigned long long total = 0, *vals;
	int ncpu, status, i;
	unsigned int key = 0;
	pid_t pid;

	if (argc < 4 || (strcmp(argv[2], "faults") && strcmp(argv[2], "calls"))) {
		fprintf(stderr, "usage: floor OBJ faults|calls CMD [ARGS...]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "floor: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, wanted(argv[2], bpf_program__name(p)));
	if (bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		if (bpf_program__autoload(p) && !bpf_program__attach(p)) {
			fprintf(stderr, "floor: cannot attach %s: %s\n",
				bpf_program__name(p), strerror(errno));
			return 1;
		}
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		execvp(argv[3], argv + 3);
		fprintf(stderr, "floor: %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	ncpu = libbpf_num_possible_cpus();
	map = bpf_object__find_map_by_name(obj, "hits");
	vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(*vals));
	if (map && vals && ncpu > 0 &&
	    !bpf_map__lookup_elem(map, &key, sizeof(key), vals, ncpu * sizeof(*vals), 0))
		for (i = 0; i < ncpu; i++)
			total += vals[i];
	fprintf(stderr, "floor: %llu events counted\n", total);
	free(vals);
	bpf_object__close(obj);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
