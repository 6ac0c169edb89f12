//! A small builder for the hand-written queries (keyset pages, anti-joins, nearest
//! neighbours) that read better as SQL than as query-builder calls. It numbers placeholders
//! for the connected engine and keeps values apart from the text.

use sea_orm::{DbBackend, Statement, Value};

/// SQL text with its bound values.
pub(crate) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::with_capacity(512),
            values: Vec::new(),
        }
    }

    /// Whether nothing has been written yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The engine the statement is for.
    pub(crate) fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Whether the statement is for PostgreSQL.
    pub(crate) fn is_postgres(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.values.len().to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends a number written into the text (page sizes come from checked code, never from
    /// a client as such), so that PostgreSQL can plan for the real limit.
    pub(crate) fn number(&mut self, n: usize) -> &mut Self {
        self.text.push_str(&n.to_string());
        self
    }

    /// Appends a number written into the text, so that PostgreSQL plans for the actual
    /// value (a generic plan guesses how many rows a range of coordinates holds, and
    /// guesses badly). Only finite numbers computed by Capitole are written this way.
    pub(crate) fn float(&mut self, value: f64) -> &mut Self {
        let value = if value.is_finite() { value } else { 0.0 };
        self.text.push_str(&format!("{value:.9}"));
        self
    }

    /// Appends a UUID written into the text, so that PostgreSQL plans with the statistics
    /// of that very value (a place with thousands of tips reads its latest ten through the
    /// index, not by sorting them all). A UUID's text is hexadecimal digits and hyphens.
    pub(crate) fn uuid(&mut self, value: uuid::Uuid) -> &mut Self {
        match self.backend {
            DbBackend::Postgres => {
                self.text.push('\'');
                self.text.push_str(&value.hyphenated().to_string());
                self.text.push_str("'::uuid");
            }
            _ => {
                self.text.push_str("X'");
                self.text.push_str(&value.simple().to_string());
                self.text.push('\'');
            }
        }
        self
    }

    /// Appends `(?, ?, …)` bound to `values`; callers make sure the list is not empty.
    pub(crate) fn bind_list<V: Into<Value>>(
        &mut self,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        self.text.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self.text.push(')');
        self
    }

    /// Appends `column LIKE '%word%'` for text already folded, with `%`, `_` and `\` escaped.
    pub(crate) fn contains(&mut self, column: &str, folded: &str) -> &mut Self {
        let escaped = folded
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        self.push(column)
            .push(" LIKE ")
            .bind(format!("%{escaped}%"))
            .push(" ESCAPE '\\'")
    }

    pub(crate) fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}
