package cases

// ClassOpens is how many class values the service has decrypted so far.
func ClassOpens() int64 { return classOpens.Load() }
