/* total.0 is count()'s; the patch adds a function with its own static
 * `total` before it, so count()'s becomes total.1. */
static int __attribute__((noinline)) tally(int step)
{
	static int total;

	total += step;
	return total;
}

int count(int step)
{
	static int total;

	total += step + tally(step);
	return total;
}
