//! S3 XML bodies.
