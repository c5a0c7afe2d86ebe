//! Who is acting: a signed-in staff member in one tenant, or an API key.

use uuid::Uuid;

use crate::{
    audit::Actor,
    domain::{api_scopes::ApiScope, roles::Permission, roles::Role},
    error::AppError,
};

/// A staff member working in one tenant under one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staff {
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub role: Role,
}

/// An API key of one tenant with its scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub key_id: Uuid,
    pub tenant_id: Uuid,
    pub scopes: Vec<ApiScope>,
}

/// Anyone a service acts for.
pub trait Principal {
    fn tenant_id(&self) -> Uuid;
    fn actor(&self) -> Actor;
    fn may(&self, permission: Permission) -> bool;

    /// `Forbidden` unless the principal holds `permission`.
    fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl Principal for Staff {
    fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }
    fn actor(&self) -> Actor {
        Actor::User(self.user_id)
    }
    fn may(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }
}

impl Principal for ApiClient {
    fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }
    fn actor(&self) -> Actor {
        Actor::ApiKey(self.key_id)
    }
    fn may(&self, permission: Permission) -> bool {
        self.scopes.iter().any(|s| s.covers(permission))
    }
}
