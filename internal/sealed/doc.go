// Package sealed reads and writes the values of the sealed-column registry
// ([vault.Columns]) as a whole: every ciphertext of one case, for re-keying
// it after a revocation and for erasing it, and the sealing of values that
// older versions stored in plain columns.
//
// Services seal and open their own values through their column's registry
// entry; this package is for the operations that must reach every sealed
// value of a case, so that a column added to the registry is re-keyed and
// erased with the others without anyone remembering to.
package sealed
