int lookup(unsigned i)
{
	return i < 4 ? (int)i : -1;
}
