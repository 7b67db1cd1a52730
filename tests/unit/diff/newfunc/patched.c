static int __attribute__((noinline)) clamp(int x)
{
	return x > 100 ? 100 : x;
}

int answer(int x)
{
	return clamp(x) + 1;
}
