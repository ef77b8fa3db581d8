#include <stdio.h>
int main(int argc, char **argv) {
  (void)argv;
  volatile long n = 100000000 + argc - 1;
  long s = 0;
  for (long i = 0; i < n; i++) s += i;
  printf("%ld\n", s);
  return 0;
}
