/* limit() is inlined into both callers: changing it changes them. */
static inline int limit(int x)
{
	return x > 10 ? 10 : x;
}

int first(int x)
{
	return limit(x) + 1;
}

int second(int x)
{
	return limit(x * 2) - 1;
}

int third(int x)
{
	return x - 3;
}
