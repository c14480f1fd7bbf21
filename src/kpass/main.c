/* SPDX-License-Identifier: ISC */
/* kpass entry point (filled in next). */
int main(void)
{
    return 0;
}
