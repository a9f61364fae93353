//! Path → methods routing over a table of (method, path) pairs, shared by the REST route table
//! and the web page table; [`Found::Route`] gives the index of the entry that matched.

/// Path → methods router over a table of (method, path) pairs.
pub struct Router {
    inner: matchit::Router<Vec<usize>>,
    methods: Vec<&'static str>,
}

/// What the router found for a request.
pub enum Found {
    /// The route index and path parameters.
    Route(usize, Vec<(String, String)>),
    /// No such path.
    NotFound,
    /// The path exists with other methods (listed, comma-separated).
    WrongMethod(String),
}

impl Router {
    /// Builds a router over `(method, path)` entries; [`Found::Route`] gives an entry's index.
    pub fn over(entries: impl IntoIterator<Item = (&'static str, &'static str)>) -> Self {
        let mut by_path: Vec<(&str, Vec<usize>)> = Vec::new();
        let mut methods = Vec::new();
        for (index, (method, path)) in entries.into_iter().enumerate() {
            methods.push(method);
            match by_path.iter_mut().find(|(known, _)| *known == path) {
                Some((_, indexes)) => indexes.push(index),
                None => by_path.push((path, vec![index])),
            }
        }
        let mut inner = matchit::Router::new();
        for (path, indexes) in by_path {
            inner
                .insert(path, indexes)
                .unwrap_or_else(|e| panic!("route table conflict at {path}: {e}"));
        }
        Router { inner, methods }
    }

    /// Finds the route for `method` and `path`.
    pub fn find(&self, method: &str, path: &str) -> Found {
        let Ok(matched) = self.inner.at(path) else {
            return Found::NotFound;
        };
        let params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let indexes = matched.value;
        if let Some(&index) = indexes.iter().find(|&&i| self.methods[i] == method) {
            return Found::Route(index, params);
        }
        // HEAD is answered like GET (hyper drops the body).
        if method == "HEAD"
            && let Some(&index) = indexes.iter().find(|&&i| self.methods[i] == "GET")
        {
            return Found::Route(index, params);
        }
        let allow = indexes
            .iter()
            .map(|&i| self.methods[i])
            .collect::<Vec<_>>()
            .join(", ");
        Found::WrongMethod(allow)
    }
}
