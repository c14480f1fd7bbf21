/* SPDX-License-Identifier: ISC */
/* kpassd entry point (filled in by the SMPP work). */
#include <stdio.h>
int main(void)
{
    return 0;
}
