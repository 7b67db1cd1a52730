struct conn {
	int fd;
};

volatile int cb_zero;

int conn_retry(struct conn *c)
{
	return c->fd + cb_zero;
}

int conn_other(struct conn *c)
{
	return c->fd * 2;
}
