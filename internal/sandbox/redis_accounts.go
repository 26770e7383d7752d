package sandbox

import (
	"fmt"
	"strings"
)

// The Redis accounts of every Redis sandbox, whatever the driver.
const (
	RedisAdminUser   = "admin"
	RedisLearnerUser = "learner"
	RedisClientUser  = "client"
)

// RedisUserLines returns redis.conf lines defining a sandbox's accounts: no
// usable default user, the platform's admin with every permission, the
// learner with LearnerACLRules and the learner's own client with
// ClientACLRules. Each line ends in a newline.
func RedisUserLines(access RedisAccess) string {
	return strings.Join([]string{
		"user default off resetpass resetkeys resetchannels -@all",
		fmt.Sprintf("user %s on >%s ~* &* +@all", access.Admin.User, access.Admin.Password),
		fmt.Sprintf("user %s on >%s %s", access.Learner.User, access.Learner.Password, strings.Join(LearnerACLRules(), " ")),
		fmt.Sprintf("user %s on >%s %s", access.Client.User, access.Client.Password, strings.Join(ClientACLRules(), " ")),
	}, "\n") + "\n"
}
