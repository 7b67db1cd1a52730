#include <stdio.h>

int greet(const char *who)
{
	return printf("hello, %s\n", who);
}

int other(void)
{
	return puts("unchanged string");
}
