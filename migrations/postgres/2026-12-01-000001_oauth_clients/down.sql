DROP TABLE oauth_used_assertions;
DROP TABLE oauth_access_tokens;
DROP TABLE oauth_client_secrets;
DROP TABLE oauth_clients;
