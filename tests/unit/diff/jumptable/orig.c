/* A switch compiled to a jump table (in .rodata.dispatch, pointing back
 * into the function). */
int __attribute__((noinline)) f0(int x) { return x + 100; }
int __attribute__((noinline)) f1(int x) { return x * 3; }

int dispatch(int op, int x)
{
	switch (op) {
	case 0: return f0(x);
	case 1: return f1(x);
	case 2: return x - 7;
	case 3: return x ^ 0x55;
	case 4: return f0(x) + f1(x);
	case 5: return x << 3;
	case 6: return x / 3;
	default: return -1;
	}
}
