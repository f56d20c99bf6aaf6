// Package vault is the only place where Casebridge handles key material and
// the encryption of sensitive victim data.
//
// Traffickers look for the people who escaped them, so a stolen database dump
// or backup must reveal nothing. The package therefore has three layers:
//
//   - Organisation keys ([Keyring]) are age X25519 identities kept in files
//     on a mounted secret, never in the database.
//   - Each case has its own random data key ([CaseKey]). It is stored in the
//     database only wrapped to organisation keys ([WrapCaseKey],
//     [Keyring.UnwrapCaseKey]); destroying the organisation key or the
//     wrapped case key makes every copy of the case's data unreadable,
//     including old backups (crypto-shredding).
//   - Each sensitive field is sealed under its case key ([Seal], [Open]) as
//     a real age file whose header binds it to its case and data class, so
//     a ciphertext copied into another case or column fails to open.
//
// A [KeyCache] keeps recently unwrapped case keys so hot reads perform no
// X25519 operation.
//
// The package does no I/O besides the key directory and never logs; error
// messages never contain key material, plaintext, or the case id bound in a
// foreign ciphertext.
package vault
