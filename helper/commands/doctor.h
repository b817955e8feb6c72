/*
 * `doctor`: check the set-up, print each problem with its fix (contract
 * §17). Exit 0 only when every check passed.
 */
#ifndef CLERK_DOCTOR_H
#define CLERK_DOCTOR_H

#include "config.h"

int doctor_run(struct config *cfg);

#endif
