int limit = 10;
static int scale = 2;

int over(int x)
{
	return x * scale > limit;
}
