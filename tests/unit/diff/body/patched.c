/* A changed body; an unchanged function next to it. */
int answer(int x)
{
	return x + 2;
}

int unchanged(int x)
{
	return x * 7;
}
