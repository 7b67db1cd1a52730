int triple(int x);
int twice(int x);
int util_where(void);
