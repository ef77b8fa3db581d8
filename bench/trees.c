#include <stdio.h>
#include <stdlib.h>
typedef struct Node { struct Node *l, *r; } Node;
static Node *make(int d) { Node *n = malloc(sizeof *n); if (d == 0) { n->l = n->r = 0; } else { n->l = make(d - 1); n->r = make(d - 1); } return n; }
static long check(Node *n) { return n->l ? 1 + check(n->l) + check(n->r) : 1; }
static void release(Node *n) { if (n->l) { release(n->l); release(n->r); } free(n); }
int main(void) {
  Node *big = make(16); printf("%ld\n", check(big));
  long total = 0;
  for (int i = 0; i < 64; i++) { Node *t = make(10); total += check(t); release(t); }
  printf("%ld\n", total);
  release(big);
  return 0;
}
