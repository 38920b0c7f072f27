# modules/auth-sql
