//! Roles and privileges inside a dialog: protocol/roles.md as code, cell by cell.
//!
//! [`decide`] answers for a dialog type, a role and an action; [`Dialog::role_of`] finds a
//! user's role and [`Dialog::can`] combines both. A refusal has a human reason
//! ([`refusal_reason`]) that the server puts in its 403 body.

use crate::dialog::{Dialog, DialogType};
use crate::ids::UserId;

/// A user's role inside one dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The creator (`user_id`), the super admin. Private dialogs have no owner role.
    Owner,
    /// A user in `admins_ids` (group, public and broadcast dialogs).
    Admin,
    /// Any other occupant (group, private), subscriber (public) or app user (broadcast).
    Regular,
    /// Not an occupant of a group or private dialog; not subscribed to a public one.
    Outsider,
}

/// Something a user may try to do in a dialog (the rows of roles.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Send a message (chat stanza, `POST /chat/Message`).
    SendMessage,
    /// Receive messages and read the history (`GET /chat/Message`).
    ReadHistory,
    /// Delete one's own message for oneself (`DELETE /chat/Message/{id}`).
    DeleteOwnMessageForSelf,
    /// Delete one's own message for everyone (`force=1`).
    DeleteOwnMessageForEveryone,
    /// Delete another sender's message for everyone (`force=1`).
    DeleteOthersMessageForEveryone,
    /// Delete the dialog for oneself: leave or unsubscribe.
    LeaveDialog,
    /// Delete the dialog for everyone (`DELETE /chat/Dialog/{id}` with `force=1`).
    DeleteDialogForEveryone,
    /// Add occupants (`push_all.occupants_ids`).
    AddOccupants,
    /// Remove occupants other than oneself (`pull_all.occupants_ids`).
    RemoveOtherOccupants,
    /// Change the name, photo or description.
    ChangeNamePhotoDescription,
    /// Pin and unpin messages (`pinned_messages_ids`).
    PinMessages,
    /// Add and remove admins.
    ManageAdmins,
    /// Block and unblock users.
    BlockUsers,
}

impl Action {
    /// Every action, in the row order of roles.md.
    pub const ALL: [Action; 13] = [
        Action::SendMessage,
        Action::ReadHistory,
        Action::DeleteOwnMessageForSelf,
        Action::DeleteOwnMessageForEveryone,
        Action::DeleteOthersMessageForEveryone,
        Action::LeaveDialog,
        Action::DeleteDialogForEveryone,
        Action::AddOccupants,
        Action::RemoveOtherOccupants,
        Action::ChangeNamePhotoDescription,
        Action::PinMessages,
        Action::ManageAdmins,
        Action::BlockUsers,
    ];
}

/// The answer of the roles table for one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// `Y`: allowed.
    Allowed,
    /// `N`: refused (HTTP 403, or an XMPP error stanza).
    Refused,
    /// `-`: does not apply (nothing to act on, or no such operation for this dialog type).
    NotApplicable,
}

impl Decision {
    /// Whether the action is allowed.
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed)
    }
}

use Decision::{Allowed as Y, NotApplicable as X, Refused as N};

/// The row of roles.md for an action, in column order: private regular; group regular, admin,
/// owner; public regular, admin, owner; broadcast regular, admin, owner.
#[allow(clippy::match_same_arms)] // one arm per row of roles.md, even when two rows agree
const fn row(action: Action) -> [Decision; 10] {
    match action {
        Action::SendMessage => [Y, Y, Y, Y, Y, Y, Y, N, Y, Y],
        Action::ReadHistory => [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y],
        Action::DeleteOwnMessageForSelf => [Y, Y, Y, Y, Y, Y, Y, X, Y, Y],
        Action::DeleteOwnMessageForEveryone => [Y, Y, Y, Y, Y, Y, Y, X, Y, Y],
        Action::DeleteOthersMessageForEveryone => [N, N, Y, Y, N, Y, Y, N, Y, Y],
        Action::LeaveDialog => [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y],
        Action::DeleteDialogForEveryone => [N, N, N, Y, N, N, Y, N, N, Y],
        Action::AddOccupants => [N, Y, Y, Y, X, X, X, X, X, X],
        Action::RemoveOtherOccupants => [N, N, Y, Y, X, X, X, X, X, X],
        Action::ChangeNamePhotoDescription => [N, Y, Y, Y, N, Y, Y, N, Y, Y],
        Action::PinMessages => [N, N, Y, Y, N, Y, Y, N, Y, Y],
        Action::ManageAdmins => [N, N, N, Y, N, N, Y, N, N, Y],
        Action::BlockUsers => [N, N, N, N, N, Y, Y, N, Y, Y],
    }
}

/// The column of roles.md for a dialog type and a (non-outsider) role.
const fn column(dialog_type: DialogType, role: Role) -> Option<usize> {
    let base = match dialog_type {
        // Private dialogs have no admins: both participants are regular users.
        DialogType::Private => return Some(0),
        DialogType::Group => 1,
        DialogType::Public => 4,
        DialogType::Broadcast => 7,
        DialogType::Other(_) => return None,
    };
    match role {
        Role::Regular => Some(base),
        Role::Admin => Some(base + 1),
        Role::Owner => Some(base + 2),
        Role::Outsider => None,
    }
}

/// What the table says about `role` doing `action` in a dialog of `dialog_type`.
///
/// Outsiders: in a group or private dialog they may do nothing (not even read). In a public or
/// broadcast dialog an outsider (not subscribed) may read the history and nothing else; whether
/// a user is blocked is the server's business (a blocked user may not even read).
/// Unknown dialog types refuse everything.
pub const fn decide(dialog_type: DialogType, role: Role, action: Action) -> Decision {
    if let Role::Outsider = role {
        return match (dialog_type, action) {
            (DialogType::Public | DialogType::Broadcast, Action::ReadHistory) => Decision::Allowed,
            _ => Decision::Refused,
        };
    }
    match column(dialog_type, role) {
        Some(c) => row(action)[c],
        None => Decision::Refused,
    }
}

/// The human reason for a refusal (the text of the 403 body), or `None` if allowed.
pub const fn refusal_reason(
    dialog_type: DialogType,
    role: Role,
    action: Action,
) -> Option<&'static str> {
    match decide(dialog_type, role, action) {
        Decision::Allowed => None,
        Decision::NotApplicable => Some("This action does not apply to this type of dialog"),
        Decision::Refused => Some(match (role, dialog_type) {
            (_, DialogType::Other(_)) => "Unknown dialog type",
            (Role::Outsider, DialogType::Group | DialogType::Private) => {
                "You are not an occupant of this dialog"
            }
            (Role::Outsider, _) => "You must subscribe to this dialog first",
            _ => match action {
                Action::SendMessage => "Only admins can send messages to a broadcast dialog",
                Action::DeleteOthersMessageForEveryone => {
                    "Only admins can delete other users' messages for everyone"
                }
                Action::DeleteDialogForEveryone => {
                    "Only the dialog owner can delete it for everyone"
                }
                Action::AddOccupants => "You cannot add occupants to this dialog",
                Action::RemoveOtherOccupants => "Only admins can remove other occupants",
                Action::ChangeNamePhotoDescription => {
                    "Only admins can change the name, photo or description of this dialog"
                }
                Action::PinMessages => "Only admins can pin messages",
                Action::ManageAdmins => "Only the dialog owner can add or remove admins",
                Action::BlockUsers => "Only admins can block users",
                Action::ReadHistory
                | Action::DeleteOwnMessageForSelf
                | Action::DeleteOwnMessageForEveryone
                | Action::LeaveDialog => "You are not allowed to do this in this dialog",
            },
        }),
    }
}

/// The role of `user` in a dialog described by its type, owner, admins and occupants.
///
/// The same rule as [`Dialog::role_of`], for callers that keep dialogs in another shape
/// (a storage row, for instance).
pub fn role_in(
    dialog_type: DialogType,
    owner: UserId,
    admins: &[UserId],
    occupants: &[UserId],
    user: UserId,
) -> Role {
    match dialog_type {
        DialogType::Private => {
            if occupants.contains(&user) || user == owner {
                Role::Regular
            } else {
                Role::Outsider
            }
        }
        DialogType::Other(_) => Role::Outsider,
        t => {
            if user == owner {
                Role::Owner
            } else if admins.contains(&user) {
                Role::Admin
            } else if !t.has_occupants() || occupants.contains(&user) {
                Role::Regular
            } else {
                Role::Outsider
            }
        }
    }
}

impl Dialog {
    /// The role of `user` in this dialog.
    ///
    /// Owner is `user_id`, admin is in `admins_ids` (private dialogs have neither: both
    /// participants, `user_id` included, are regular). In group and private dialogs any other occupant is regular and
    /// everyone else an outsider. In public and broadcast dialogs every application user is
    /// regular (subscriptions and block lists are the server's to apply).
    pub fn role_of(&self, user: UserId) -> Role {
        role_in(
            self.dialog_type,
            self.user_id,
            &self.admins_ids,
            &self.occupants_ids,
            user,
        )
    }

    /// What the roles table says about `user` doing `action` here.
    pub fn decide(&self, user: UserId, action: Action) -> Decision {
        decide(self.dialog_type, self.role_of(user), action)
    }

    /// Whether `user` may do `action` here.
    pub fn can(&self, user: UserId, action: Action) -> bool {
        self.decide(user, action).is_allowed()
    }

    /// The reason `user` may not do `action` here, or `None` if allowed.
    pub fn refusal_reason(&self, user: UserId, action: Action) -> Option<&'static str> {
        refusal_reason(self.dialog_type, self.role_of(user), action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DialogId;

    fn dialog(t: DialogType) -> Dialog {
        let id: DialogId = "5f1e6a0c3d9e4a0001a1b2c3".parse().unwrap();
        Dialog::new(id, UserId(1), t)
            .with_admins([UserId(2)])
            .with_occupants([UserId(1), UserId(2), UserId(3)])
    }

    #[test]
    fn roles_in_group_dialogs() {
        let d = dialog(DialogType::Group);
        assert_eq!(d.role_of(UserId(1)), Role::Owner);
        assert_eq!(d.role_of(UserId(2)), Role::Admin);
        assert_eq!(d.role_of(UserId(3)), Role::Regular);
        assert_eq!(d.role_of(UserId(4)), Role::Outsider);
        assert!(d.can(UserId(1), Action::DeleteDialogForEveryone));
        assert!(!d.can(UserId(2), Action::DeleteDialogForEveryone));
        assert!(d.can(UserId(2), Action::RemoveOtherOccupants));
        assert!(!d.can(UserId(3), Action::RemoveOtherOccupants));
        assert!(d.can(UserId(3), Action::AddOccupants));
        for a in Action::ALL {
            assert!(
                !d.can(UserId(4), a),
                "an outsider may do nothing in a group: {a:?}"
            );
        }
        assert_eq!(
            d.refusal_reason(UserId(2), Action::DeleteDialogForEveryone),
            Some("Only the dialog owner can delete it for everyone")
        );
        assert_eq!(
            d.refusal_reason(UserId(1), Action::DeleteDialogForEveryone),
            None
        );
        assert_eq!(
            d.refusal_reason(UserId(4), Action::ReadHistory),
            Some("You are not an occupant of this dialog")
        );
    }

    #[test]
    fn private_dialogs_have_only_regular_users() {
        let d = dialog(DialogType::Private).with_occupants([UserId(1), UserId(3)]);
        assert_eq!(
            d.role_of(UserId(1)),
            Role::Regular,
            "the creator is not an owner"
        );
        assert_eq!(
            d.role_of(UserId(2)),
            Role::Outsider,
            "admins_ids mean nothing here"
        );
        assert_eq!(d.role_of(UserId(3)), Role::Regular);
        assert!(!d.can(UserId(1), Action::DeleteDialogForEveryone));
        assert!(d.can(UserId(3), Action::SendMessage));
        assert_eq!(
            decide(DialogType::Private, Role::Owner, Action::ManageAdmins),
            Decision::Refused
        );
    }

    #[test]
    fn public_and_broadcast_dialogs() {
        let p = dialog(DialogType::Public);
        assert_eq!(p.role_of(UserId(99)), Role::Regular);
        assert!(p.can(UserId(99), Action::SendMessage));
        assert!(!p.can(UserId(99), Action::BlockUsers));
        assert!(p.can(UserId(2), Action::BlockUsers));
        assert_eq!(
            p.decide(UserId(1), Action::AddOccupants),
            Decision::NotApplicable
        );
        assert_eq!(
            p.refusal_reason(UserId(1), Action::AddOccupants),
            Some("This action does not apply to this type of dialog")
        );
        let b = dialog(DialogType::Broadcast);
        assert!(!b.can(UserId(99), Action::SendMessage));
        assert!(b.can(UserId(2), Action::SendMessage));
        assert!(b.can(UserId(99), Action::ReadHistory));
        assert_eq!(
            b.refusal_reason(UserId(99), Action::SendMessage),
            Some("Only admins can send messages to a broadcast dialog")
        );
        for t in [DialogType::Public, DialogType::Broadcast] {
            assert_eq!(
                decide(t, Role::Outsider, Action::ReadHistory),
                Decision::Allowed
            );
            assert_eq!(
                decide(t, Role::Outsider, Action::SendMessage),
                Decision::Refused
            );
        }
    }

    #[test]
    fn unknown_dialog_types_refuse_everything() {
        let d = dialog(DialogType::Other(9));
        for a in Action::ALL {
            assert_eq!(d.decide(UserId(1), a), Decision::Refused);
            assert_eq!(d.refusal_reason(UserId(1), a), Some("Unknown dialog type"));
        }
    }

    #[test]
    fn every_refusal_has_a_reason() {
        for t in [
            DialogType::Private,
            DialogType::Group,
            DialogType::Public,
            DialogType::Broadcast,
        ] {
            for r in [Role::Owner, Role::Admin, Role::Regular, Role::Outsider] {
                for a in Action::ALL {
                    assert_eq!(
                        refusal_reason(t, r, a).is_none(),
                        decide(t, r, a).is_allowed(),
                        "{t:?} {r:?} {a:?}"
                    );
                }
            }
        }
    }
}
