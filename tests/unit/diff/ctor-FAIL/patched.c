static int ready;

static void __attribute__((constructor)) setup(void)
{
	ready = 2;
}

int is_ready(void)
{
	return ready;
}
