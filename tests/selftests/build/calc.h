int calc(int x);
