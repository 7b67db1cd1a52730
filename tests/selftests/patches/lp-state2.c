/* SPDX-License-Identifier: MIT */
/* 29-state.t: state CONSOLE_LOGLEVEL_STATE at version 2 (see lp-state.h). */
#define N 2
#define VERSION 2
#define TAKES_OVER 1
#include "lp-state.h"
