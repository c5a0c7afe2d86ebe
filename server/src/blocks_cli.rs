//! `frontdesk blocks`: the operator's view of automatic blocks in Redis.

use frontdesk::secrecy::ExposeSecret;
use std::{net::IpAddr, time::Duration};

use frontdesk::{config::Config, ratelimit::auto_block, redis::Redis};

type Outcome = Result<(), Box<dyn std::error::Error>>;

async fn connect(config: &Config) -> Result<Redis, Box<dyn std::error::Error>> {
    let url = config.redis.url.as_ref().map(|u| u.expose_secret()).ok_or(
        "REDIS_URL is not set: without Redis each instance keeps its blocks in its own memory, \
         where they end by themselves (restarting an instance lifts them)",
    )?;
    let redis = Redis::connect(&config.redis, url)?;
    if !redis.wait_until_connected(Duration::from_secs(5)).await {
        return Err("Redis at REDIS_URL did not answer within 5 seconds".into());
    }
    Ok(redis)
}

pub async fn list(config: Config) -> Outcome {
    let redis = connect(&config).await?;
    let blocks = auto_block::list_shared(&redis).await?;
    if blocks.is_empty() {
        println!("no address is blocked");
    }
    for block in blocks {
        let secs = block.remaining.as_secs();
        println!(
            "{:<40} blocked for another {}m{:02}s (block {} today)",
            block.address,
            secs / 60,
            secs % 60,
            block.level
        );
    }
    Ok(())
}

pub async fn remove(config: Config, address: IpAddr) -> Outcome {
    let redis = connect(&config).await?;
    if auto_block::unblock_shared(&redis, address).await? {
        println!("{address} is no longer blocked (instances notice within a second)");
    } else {
        println!("{address} was not blocked; its history is cleared");
    }
    Ok(())
}
