/* Two switches GCC turns into lookup tables (CSWTCH.N, numbered in the
 * unit): compiler constants, copied with the function that reads them,
 * never taken for function statics to correlate. */
int weights(int a, int b)
{
	int x, y;

	switch (a) {
	case 0: x = 13; break;
	case 1: x = 2; break;
	case 2: x = 77; break;
	case 3: x = 5; break;
	case 4: x = 41; break;
	default: x = 0;
	}
	switch (b) {
	case 0: y = 9; break;
	case 1: y = 310; break;
	case 2: y = 12; break;
	case 3: y = 408; break;
	case 4: y = 66; break;
	default: y = 0;
	}
	return x * 1000 + y;
}
