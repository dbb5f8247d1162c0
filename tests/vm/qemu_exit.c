// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of `make test-vm`: power the VM off with an exit status qemu
 * passes on.  qemu's isa-debug-exit device (port 0xf4) makes qemu exit with
 * (N << 1) | 1 when N is written to it; the cloud kernels have no /dev/port,
 * so this writes the port directly (root, no lockdown in the guest).
 *   qemu_exit N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;

	if (ioperm(0xf4, 1, 1)) {
		perror("qemu_exit: ioperm");
		return 1;
	}
	outb((unsigned char)n, 0xf4);
	/* still here: no isa-debug-exit device */
	fprintf(stderr, "qemu_exit: port 0xf4 did not stop the VM\n");
	return 1;
}
