#ifndef TESSERA_CORE_TEST_OPS_H_
#define TESSERA_CORE_TEST_OPS_H_

// Tiny ops registered only in core's tests, so core is tested without any
// real op library: test_add (x + y, its gradient passed through to both
// inputs) and test_add_copying (the same, copied by its kernel), test_scale
// (x * factor), test_sum (sum of all elements, a scalar), test_mul (x * y,
// elementwise) and test_double (2x, and the optional output x + 1).

#endif  // TESSERA_CORE_TEST_OPS_H_
