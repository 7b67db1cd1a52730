/* A changed body; an unchanged function next to it. */
int answer(int x)
{
	return x + 1;
}

int unchanged(int x)
{
	return x * 7;
}
