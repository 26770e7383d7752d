// Package redisnode is everything a Redis sandbox's servers have in common,
// whatever the driver that runs them:
//
//   - the learner's command policy: the ACL rules of the learner and client
//     accounts (LearnerACLRules, LearnerACLRulesFor, ClientACLRules, ...)
//     and the checks the console makes before it sends a typed command
//     (CheckLearnerCommandCap, PrepareLearnerCommand), both read from the
//     same tables so that they cannot drift apart;
//   - the accounts of every sandbox (admin, learner, client, and for the
//     multi-node kinds replication and sentinel) and their redis.conf lines
//     (UserLines, NodeUserLines);
//   - the one renderer of redis.conf, of redis-server's command line and of
//     Sentinel configuration (ServerConfig, DataNodeConfig, SentinelConfig):
//     a driver says only what differs for it (paths, ports, bind address,
//     whether the server runs on the host or in a container).
//
// It imports internal/sandbox for the domain types (Kind, Instance,
// Credentials, DeniedError); sandbox imports nothing of it.
package redisnode
