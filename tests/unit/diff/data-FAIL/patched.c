int limit = 20;
static int scale = 3;

int over(int x)
{
	return x * scale > limit;
}
