#include <stdio.h>

int greet(const char *who)
{
	return printf("Hello, %s!\n", who);
}

int other(void)
{
	return puts("unchanged string");
}
