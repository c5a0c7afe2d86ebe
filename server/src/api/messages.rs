//! `/api/v1/conversations`: the inbox's conversations and messages
//! (`messages:read`), replies and new messages to clients
//! (`messages:write`). Sending is limited per business (`RATE_LIMIT_MAIL_SEND`).

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Json,
};
use frontdesk::{
    audit::Origin,
    domain::{
        api_error::ApiErrorBody,
        inbox::{ConversationSummary, ConversationView},
    },
    error::AppError,
    services::inbox::{conversations, send},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{parse_id, ApiJson, ApiKey};
use crate::AppState;

/// Which conversations to list.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Show {
    /// Everything not archived.
    #[default]
    Open,
    Unread,
    Unassigned,
    Archived,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    #[serde(default)]
    #[param(inline)]
    show: Show,
    /// Only this client's conversations.
    client: Option<Uuid>,
    /// Words in the subject, the sender or the text.
    #[serde(default)]
    #[param(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    q: String,
}

#[utoipa::path(get, path = "/api/v1/conversations", tag = "messages", params(ConversationQuery),
    responses((status = 200, body = [ConversationSummary], description = "Newest first, at most 100"),
        (status = 422, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    query: Result<Query<ConversationQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<ConversationSummary>>, AppError> {
    let Query(query) = query.map_err(|e| {
        AppError::Unprocessable(format!("the query is not valid: {}", e.body_text()))
    })?;
    let filter = conversations::ConversationFilter {
        unread: query.show == Show::Unread,
        unassigned: query.show == Show::Unassigned,
        archived: query.show == Show::Archived,
        client: query.client,
        search: Some(query.q),
        ..Default::default()
    };
    conversations::list(&state.deps, &key, &filter)
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "messages", params(("id" = Uuid, Path)),
    responses((status = 200, body = ConversationView), (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<ConversationView>, AppError> {
    conversations::view(&state.deps, &key, parse_id(&id, "conversation")?)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// Plain text; sent to the conversation's correspondent from its mailbox.
    #[schema(
        min_length = 1,
        max_length = 100000,
        pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    )]
    text: String,
    /// Files of the conversation's client to attach (ids from its files), at most 10 and 20 MB together.
    #[serde(default)]
    #[schema(max_items = 10)]
    attachments: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedMessage {
    /// The message, queued to be sent.
    pub id: Uuid,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/replies", tag = "messages", params(("id" = Uuid, Path)),
    request_body = ReplyBody,
    responses((status = 202, body = QueuedMessage, description = "Queued; its state shows on the conversation"),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    from: Option<axum::Extension<Origin>>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> Result<(StatusCode, Json<QueuedMessage>), AppError> {
    let origin = from.map(|axum::Extension(o)| o).unwrap_or_default();
    let id = send::reply(
        &state.deps,
        &key,
        parse_id(&id, "conversation")?,
        &body.text,
        &body.attachments,
        &origin,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(QueuedMessage { id })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversationBody {
    /// The client written to, at their email address.
    client_id: Uuid,
    /// The mailbox sent from; the business's first by name when left out.
    #[serde(default)]
    mailbox_id: Option<Uuid>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    subject: String,
    /// Plain text.
    #[schema(
        min_length = 1,
        max_length = 100000,
        pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    )]
    text: String,
    /// Files of the client to attach (ids from its files), at most 10 and 20 MB together.
    #[serde(default)]
    #[schema(max_items = 10)]
    attachments: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StartedConversation {
    pub conversation_id: Uuid,
    /// The message, queued to be sent.
    pub message_id: Uuid,
}

#[utoipa::path(post, path = "/api/v1/conversations", tag = "messages", request_body = NewConversationBody,
    responses((status = 202, body = StartedConversation, description = "Queued; its state shows on the conversation"),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    from: Option<axum::Extension<Origin>>,
    ApiJson(body): ApiJson<NewConversationBody>,
) -> Result<(StatusCode, Json<StartedConversation>), AppError> {
    let origin = from.map(|axum::Extension(o)| o).unwrap_or_default();
    let input = send::NewMessage {
        client: body.client_id,
        mailbox: body.mailbox_id,
        subject: body.subject,
        text: body.text,
        attachments: body.attachments,
    };
    let started = send::compose(&state.deps, &key, &input, &origin).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(StartedConversation {
            conversation_id: started.conversation,
            message_id: started.message,
        }),
    ))
}
