//! Wire types of the ConnectyCube REST and chat API: ids, sessions, users, dialogs, messages, errors, filters.
#![deny(missing_docs)]
