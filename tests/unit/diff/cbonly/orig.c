int limit = 10;

int under_limit(int x)
{
	return x < limit;
}
