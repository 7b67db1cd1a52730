/* count() keeps its state in a function static: the patched count()
 * must use the running program's copy, not a new one. */
int count(int step)
{
	static int total;

	total += step * 2;
	return total;
}
