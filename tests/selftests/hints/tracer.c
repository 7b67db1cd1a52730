/* SPDX-License-Identifier: MIT */
/*
 * Another tracer, as strace or gdb would be: seizes the process given (its
 * main thread), says "tracing", and keeps it until stdin closes.  The
 * thread keeps running (PTRACE_SEIZE stops nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char c;

	if (argc != 2)
		return 2;
	if (ptrace(PTRACE_SEIZE, atoi(argv[1]), 0, 0)) {
		perror("PTRACE_SEIZE");
		return 1;
	}
	printf("tracing\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
