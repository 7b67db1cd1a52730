/* One fix across two files: a.c gets a new helper, b.c uses it. */
int a_value(void);
int a_bonus(int x);

int b_total(int x)
{
	return a_value() + a_bonus(x) + x;
}
