/* The program: answers commands on stdin, one per line, as the
 * selftests' targets do ("ready PID" first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calc.h"
#include "util.h"

int main(void)
{
	char line[128];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", getpid());
	while (fgets(line, sizeof(line), stdin)) {
		int n = 0;

		if (sscanf(line, "calc %d", &n) == 1)
			printf("%d\n", calc(n));
		else if (sscanf(line, "triple %d", &n) == 1)
			printf("%d\n", triple(n));
		else if (sscanf(line, "twice %d", &n) == 1)
			printf("%d\n", twice(n));
		else if (!strncmp(line, "where", 5))
			printf("%d\n", util_where());
		else if (!strncmp(line, "quit", 4))
			break;
		else
			printf("?\n");
	}
	return 0;
}
