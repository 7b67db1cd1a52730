/* SPDX-License-Identifier: MIT */
/* 29-state.t: state CONSOLE_LOGLEVEL_STATE at version 1 (see lp-state.h). */
#define N 1
#define VERSION 1
#define TAKES_OVER 0
#include "lp-state.h"
