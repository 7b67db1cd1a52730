// SPDX-License-Identifier: MIT
// A C++ target for 25-cxx.t: parse() throws for bad input, and its caller
// catches.  Patches of parse() throw through patch code.
#include <cstdio>
#include <stdexcept>

extern "C" {
#include "cmdloop.h"
}

extern "C" __attribute__((noinline)) long parse(long x)
{
	if (x < 0)
		throw std::invalid_argument("negative");
	return x * 2;
}

static void c_parse(long x)
{
	try {
		reply("%ld", parse(x));
	} catch (const std::exception &e) {
		reply("caught %s", e.what());
	}
}

static const struct command cmds[] = {
	{ "parse", c_parse }, { nullptr, nullptr },
};

int main()
{
	return cmdloop(cmds);
}
