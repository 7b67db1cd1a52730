/* SPDX-License-Identifier: MIT */
#include "common/log.h"

int uklp_log_level = 1;
