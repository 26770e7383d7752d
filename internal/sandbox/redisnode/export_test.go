package redisnode

// Exported for the tests of package sandbox_test.
var (
	ACLCeilingForTest        = aclCeiling
	ACLSafeCategoriesForTest = aclSafeCategories
)
